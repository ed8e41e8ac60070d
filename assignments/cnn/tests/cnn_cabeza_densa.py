from otter.test_files import test_case

OK_FORMAT = False

name = "cnn_cabeza_densa"
points = None

@test_case(points=1, hidden=False, 
    success_message="Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas sobre este apartado.")
def test_cabeza_densa_publico(build_cnn):
    model = build_cnn()
    assert tuple(model.output_shape) == (None, 10), f'La salida es {model.output_shape}; debe ser (None, 10), una probabilidad por clase.'
    assert model.count_params() == 167562, f'La red tiene {model.count_params()} parámetros; con la arquitectura de la lección son 167.562.'


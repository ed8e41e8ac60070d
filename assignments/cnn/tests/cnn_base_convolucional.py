from otter.test_files import test_case

OK_FORMAT = False

name = "cnn_base_convolucional"
points = None

@test_case(points=1, hidden=False, 
    success_message="Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas sobre este apartado.")
def test_base_convolucional_publico(build_conv_base):
    model = build_conv_base()
    assert tuple(model.input_shape) == (None, 32, 32, 3), f'La entrada es {model.input_shape}; debe ser (None, 32, 32, 3).'
    assert tuple(model.output_shape) == (None, 6, 6, 64), f'La salida es {model.output_shape}; debe ser el volumen (None, 6, 6, 64), no 6×6×16.'


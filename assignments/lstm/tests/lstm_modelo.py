from otter.test_files import test_case

OK_FORMAT = False

name = "lstm_modelo"
points = None

@test_case(points=1, hidden=False, 
    success_message="Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas sobre este apartado.")
def test_modelo_publico(build_lstm, compile_lstm):
    model = build_lstm()
    assert tuple(model.input_shape) == (None, 100, 1), f'La entrada es {model.input_shape}; debe ser (None, 100, 1): 100 días y 1 variable.'
    assert tuple(model.output_shape) == (None, 1), f'La salida es {model.output_shape}; debe ser (None, 1).'
    assert model.count_params() == 14941, f'El modelo tiene {model.count_params()} parámetros; LSTM(60) + Dense(1) son 14.941.'


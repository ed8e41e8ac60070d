from otter.test_files import test_case

OK_FORMAT = False

name = "lstm_pronostico"
points = None

@test_case(points=1, hidden=False, 
    success_message="Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas sobre este apartado.")
def test_pronostico_publico(lstm_forecasts, lstm_model, lstm_history):
    import numpy as np
    import pandas as pd
    from leccion14.repsol import load_repsol, split_high
    assert lstm_forecasts is not None, 'No existe la variable lstm_forecasts; ejecuta la celda del pronóstico (en la entrega: falta entrega/lstm_forecasts.csv o no es válido).'
    _, test = split_high(load_repsol())
    assert isinstance(lstm_forecasts, pd.Series), f'lstm_forecasts es {type(lstm_forecasts).__name__}; debe ser una pd.Series indexada por fecha.'
    assert len(lstm_forecasts) == len(test), f'Hay {len(lstm_forecasts)} pronósticos y {len(test)} días de prueba; debe haber uno por día.'
    assert lstm_forecasts.index.equals(test.index), 'El índice de lstm_forecasts no son las fechas de prueba; usa index=test.index.'
    assert np.isfinite(lstm_forecasts.to_numpy()).all(), 'lstm_forecasts contiene valores NaN o infinitos.'
    assert lstm_model is not None, 'No existe la variable lstm_model; ejecuta las celdas de entrenamiento (en la entrega: falta entrega/lstm_model.keras o no es válido).'
    assert tuple(lstm_model.input_shape) == (None, 100, 1), f'lstm_model tiene entrada {lstm_model.input_shape}; debe ser (None, 100, 1).'
    assert isinstance(lstm_history, dict) and 'loss' in lstm_history, "lstm_history debe ser el diccionario history.history, con la clave 'loss'."


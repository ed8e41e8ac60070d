from otter.test_files import test_case

OK_FORMAT = False

name = "lstm_escalado"
points = None

@test_case(points=1, hidden=False, 
    success_message="Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas sobre este apartado.")
def test_escalado_publico(scale_series):
    import numpy as np
    from leccion14.probes import probe_args
    from leccion14.spanish_numbers import decimal
    train, test = probe_args('scale_series/fuga')
    scaler, train_scaled, test_scaled = scale_series(train, test)
    train_scaled = np.asarray(train_scaled)
    test_scaled = np.asarray(test_scaled)
    assert train_scaled.shape == (len(train), 1), f'train_scaled tiene forma {train_scaled.shape}; se esperaba ({len(train)}, 1).'
    assert test_scaled.shape == (len(test), 1), f'test_scaled tiene forma {test_scaled.shape}; se esperaba ({len(test)}, 1).'
    assert np.isclose(train_scaled.max(), 1.0), f'El máximo de train_scaled es {decimal(train_scaled.max(), 4)}, no 1: el escalador se ajustó con datos de prueba. Ajústalo solo con train.'


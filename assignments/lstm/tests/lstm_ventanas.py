from otter.test_files import test_case

OK_FORMAT = False

name = "lstm_ventanas"
points = None

@test_case(points=1, hidden=False, 
    success_message="Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas sobre este apartado.")
def test_ventanas_publico(make_windows):
    import numpy as np
    from leccion14.probes import probe_args
    from leccion14.spanish_numbers import decimal
    series, window = probe_args('make_windows/serie_300')
    X, y = make_windows(series, window)
    X = np.asarray(X)
    y = np.asarray(y)
    assert X.shape == (200, 100, 1), f'X tiene forma {X.shape}; con 300 días y ventana 100 se esperaba (200, 100, 1).'
    assert y.shape == (200,), f'y tiene forma {y.shape}; se esperaba (200,).'
    assert np.isclose(y[0], series[100]), f'y[0] vale {decimal(y[0], 4)} y debería ser series[100] = {decimal(series[100], 4)}, el día siguiente a la primera ventana.'


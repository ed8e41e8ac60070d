from otter.test_files import test_case

OK_FORMAT = False

name = "lstm_ventanas_prueba"
points = None

@test_case(points=1, hidden=False, 
    success_message="Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas sobre este apartado.")
def test_ventanas_prueba_publico(make_test_windows):
    import numpy as np
    from leccion14.probes import probe_args
    train_scaled, test_scaled, window = probe_args('make_test_windows/serie_300_y_50')
    X = np.asarray(make_test_windows(train_scaled, test_scaled, window))
    assert X.shape == (len(test_scaled), window, 1), f'X_test tiene forma {X.shape}; se esperaba ({len(test_scaled)}, {window}, 1), una ventana por día de prueba.'


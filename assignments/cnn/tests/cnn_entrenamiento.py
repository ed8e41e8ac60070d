from otter.test_files import test_case

OK_FORMAT = False

name = "cnn_entrenamiento"
points = None

@test_case(points=1, hidden=False, 
    success_message="Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas sobre este apartado.")
def test_entrenamiento_publico(cnn_model, cnn_history):
    assert cnn_model is not None, 'No existe la variable cnn_model; ejecuta las celdas de entrenamiento (en la entrega: falta entrega/cnn_model.keras o no es válido).'
    assert tuple(cnn_model.output_shape) == (None, 10), f'cnn_model tiene salida {cnn_model.output_shape}; debe ser (None, 10).'
    assert isinstance(cnn_history, dict), f'cnn_history es {type(cnn_history).__name__}; debe ser el diccionario history.history.'
    for name in ('loss', 'accuracy', 'val_loss', 'val_accuracy'):
        assert name in cnn_history, f"Falta '{name}' en cnn_history (claves: {sorted(cnn_history)}); compila con metrics=['accuracy'] y entrena con validation_split."
    lengths = {name: len(values) for name, values in cnn_history.items()}
    assert len(set(lengths.values())) == 1, f'Las curvas de cnn_history tienen longitudes distintas: {lengths}.'


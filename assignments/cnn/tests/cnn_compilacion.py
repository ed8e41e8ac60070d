from otter.test_files import test_case

OK_FORMAT = False

name = "cnn_compilacion"
points = None

@test_case(points=1, hidden=False, 
    success_message="Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas sobre este apartado.")
def test_compilacion_publico(compile_cnn):
    from leccion14.probes import probe_args
    model, = probe_args('compile_cnn')
    compiled = compile_cnn(model)
    assert compiled is not None, 'compile_cnn devolvió None; devuelve el modelo compilado.'
    loss = compiled.get_compile_config()['loss']
    assert loss in ('categorical_crossentropy', 'CategoricalCrossentropy'), f"La pérdida es {loss!r}; con etiquetas one-hot usa 'categorical_crossentropy'."


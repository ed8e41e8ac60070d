from otter.test_files import test_case

OK_FORMAT = False

name = "cnn_preprocesado"
points = None

@test_case(points=1, hidden=False, 
    success_message="Comprobaciones públicas superadas. Tras la entrega, el autocorrector ejecuta además pruebas ocultas sobre este apartado.")
def test_preprocesado_publico(preprocess_images, encode_labels):
    import numpy as np
    from leccion14.probes import probe_args
    images, = probe_args('preprocess_images/aleatorias')
    result = np.asarray(preprocess_images(images))
    assert result.shape == images.shape, f'preprocess_images devolvió la forma {result.shape}; debe conservar la de la entrada, {images.shape}.'
    assert result.dtype == np.float32, f'preprocess_images devolvió dtype {result.dtype}; convierte las imágenes a float32.'
    assert result.max() <= 1.0, f'El valor máximo es {result.max()}; divide los píxeles entre 255 para llevarlos a [0, 1].'
    labels, = probe_args('encode_labels/doce')
    encoded = np.asarray(encode_labels(labels))
    assert encoded.shape == (len(labels), 10), f'encode_labels devolvió la forma {encoded.shape}; se esperaba ({len(labels)}, 10), una columna por clase.'


"""The bundled sample web: realistic Chinese government and template sites served on 127.0.0.1."""

"""The core's vocabulary: frozen value types, the exception hierarchy and plain data
built from them. Only the standard library and this package are imported here."""

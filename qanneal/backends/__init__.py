"""Built-in backends. Each module holds one backend; all register through entry points."""

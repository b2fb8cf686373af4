"""Built-in behaviour, registered as ordinary plugins (see `DEFAULT_PLUGINS`)."""

package templates

// Change events are rendered here: the XEvent alias of store.Event and the
// store's Watch method. They arrive with the runtime's event stream; until
// then a store has no events part.

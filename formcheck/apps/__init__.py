"""Applications built on the library: labelling, preview, live checking and the demo."""

"""botbuilder-dialogs flows for multi-turn text conversations, one dialog per file."""

// placeholder: filled in by the harness-core work

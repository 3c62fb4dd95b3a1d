"""Pure parsers: response bytes in, records out; no HTTP (the platforms' reading is cllr.platforms, the pipeline's is cllr.pipeline)."""

"""The demo web: a generated, clearly fictional set of councils and accounts served locally."""

"""Library publishing: wheel and sdist from the spec (`build`), the local PEP 503 index
(`index`), uploads to any index server (`upload`), serving the local index (`server`), and
the `brain publish` flow that ties them together (`release`)."""

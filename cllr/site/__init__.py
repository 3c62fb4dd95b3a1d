"""The static site: the directory read into views, rendered to pages, downloads, search and charts."""

"""Sources: fetch bytes (``http``) and turn them into ``Article``s.

``feeds`` parses RSS/Atom/JSON Feed bytes, ``extract`` reduces article pages to text, ``files``
reads local files and folders, ``opml`` reads and writes subscription lists. Nothing here
touches the store; ``pipeline`` wires these to it.
"""

"""digestbot's shell: CLI, scheduler, HTTP server, chat platforms and delivery."""

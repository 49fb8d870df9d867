"""aimed-mcp: an MCP server that is a client of the AI-Med public API."""

from servers.vault_mcp.server import main

main()

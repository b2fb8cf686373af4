from prisma_infra.cli import main

main()

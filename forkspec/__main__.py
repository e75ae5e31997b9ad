from forkspec.cli import main

main()

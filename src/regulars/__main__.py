from regulars.cli.app import main

main()

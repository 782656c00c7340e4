from supportfirst.cli import main

main()

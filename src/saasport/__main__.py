from saasport.cli import main

main()

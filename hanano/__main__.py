from hanano.cli import main

main()

from septrial.cli import main

raise SystemExit(main())

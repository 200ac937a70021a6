from ml_seclint.cli import main

raise SystemExit(main())

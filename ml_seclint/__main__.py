from ml_seclint.frontends.cli import main

raise SystemExit(main())

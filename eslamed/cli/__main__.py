from eslamed.cli import main

raise SystemExit(main())

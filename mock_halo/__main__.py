from mock_halo.cli import main

raise SystemExit(main())

"""The follow-up desk's pages: thin views (parse → one service call → render), one module per page."""

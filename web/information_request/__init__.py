"""Pages of the written information request: the register of requests and the dispatch of letters."""

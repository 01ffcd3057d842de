"""委托送达: entrusted service between courts — the letter, the receiving court's task, the result."""

// Public test kit. Each part lives in its own file; add its exports here.

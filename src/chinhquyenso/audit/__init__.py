"""Append-only, hash-chained audit log (nhật ký kiểm toán)."""

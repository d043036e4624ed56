"""Administrative procedure catalog (danh mục thủ tục hành chính) and internal processes."""

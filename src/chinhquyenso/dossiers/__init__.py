"""One-stop dossier lifecycle (hồ sơ thủ tục hành chính)."""

"""Phản ánh, kiến nghị (PAKN): citizens' feedback and petitions about regulations, procedures and officers."""

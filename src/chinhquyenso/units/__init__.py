"""Administrative units (đơn vị hành chính) and agencies (cơ quan), with dated history."""

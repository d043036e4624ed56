"""Vietnamese working calendar and deadline arithmetic (lịch làm việc, tính hạn)."""

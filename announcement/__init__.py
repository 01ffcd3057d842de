"""公告送达: announcement service — request, fee, text, publication in 人民法院报, the court's public page."""

"""Community digital technology teams (tổ công nghệ số cộng đồng), in-person classes
and citizens' coverage per commune (issue 17)."""

"""My account ("Tài khoản của tôi"): profile, reminder choice, two-factor sign-in and
the sessions of one's own account; and the second-factor gate every session passes."""

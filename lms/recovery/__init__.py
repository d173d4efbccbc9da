"""Links sent by email: "Quên mật khẩu" (a password reset link, valid 1 hour) and the
verification of an email address (after registration, or a new address chosen on
"Tài khoản của tôi"). Only a hash of each link's token is stored; a link works once.
"""

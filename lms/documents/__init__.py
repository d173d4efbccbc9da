"""Official documents: the state-document header (quốc hiệu, tiêu ngữ, issuing body),
place and date, the signature block of each issuing unit over time, the certificate
as an A4 PDF with its QR code, and the same layout in XLSX reports (issue 16)."""

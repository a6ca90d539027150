"""Certification types, held certifications, practice tests and CE credits (see the
certifications issue); the app exists from the start so that the layout is stable."""

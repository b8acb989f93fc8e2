"""nlp.kb"""

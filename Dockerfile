FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_DEBUG=True python manage.py collectstatic --noinput
RUN useradd --create-home desk && mkdir -p /app/media && chown -R desk /app/media
USER desk
EXPOSE 8000
CMD ["gunicorn", "renewal_desk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
